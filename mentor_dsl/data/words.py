"""Vocabulary for word problems. Lists, never sets: generation must not depend on hash order."""

from __future__ import annotations

NAMES = [
    "Maya",
    "Liam",
    "Ava",
    "Noah",
    "Zoe",
    "Omar",
    "Priya",
    "Lucas",
    "Mei",
    "Diego",
    "Sara",
    "Tom",
    "Aisha",
    "Ben",
    "Nina",
    "Ravi",
    "Elena",
    "Kenji",
    "Fatima",
    "Jonas",
    "Chloe",
    "Mateo",
    "Hana",
    "Sam",
    "Leila",
    "Owen",
    "Ines",
    "Yusuf",
    "Grace",
    "Pablo",
]

#: (singular, plural, cheapest, dearest) in dollars.
ITEMS = [
    ("notebook", "notebooks", 1.5, 6),
    ("pencil", "pencils", 0.25, 2),
    ("apple", "apples", 0.3, 1.5),
    ("sandwich", "sandwiches", 3, 9),
    ("ticket", "tickets", 5, 40),
    ("book", "books", 4, 25),
    ("candle", "candles", 2, 12),
    ("mug", "mugs", 3, 15),
    ("plant pot", "plant pots", 2, 18),
    ("bottle of juice", "bottles of juice", 1, 4),
    ("T-shirt", "T-shirts", 6, 30),
    ("pack of cards", "packs of cards", 2, 8),
    ("box of tea", "boxes of tea", 2.5, 9),
    ("bag of rice", "bags of rice", 1.5, 12),
    ("paintbrush", "paintbrushes", 0.75, 6),
]

#: One extra item bought alongside, with "a"/"an".
EXTRAS = [
    "a bag",
    "a magazine",
    "an umbrella",
    "a scarf",
    "a water bottle",
    "a calendar",
    "a phone case",
    "a map",
    "a lunch box",
    "a keyring",
]

#: Things shared out or packed: (plural, container singular, container plural).
PACKING = [
    ("eggs", "carton", "cartons"),
    ("cookies", "box", "boxes"),
    ("apples", "crate", "crates"),
    ("books", "shelf", "shelves"),
    ("bottles", "case", "cases"),
    ("marbles", "bag", "bags"),
    ("muffins", "tray", "trays"),
    ("photos", "album page", "album pages"),
    ("chairs", "row", "rows"),
    ("seeds", "packet", "packets"),
]

#: (people plural, vehicle singular, vehicle plural).
GROUPS = [
    ("students", "bus", "buses"),
    ("hikers", "van", "vans"),
    ("fans", "coach", "coaches"),
    ("guests", "table", "tables"),
    ("campers", "tent", "tents"),
    ("players", "minibus", "minibuses"),
    ("visitors", "boat", "boats"),
    ("passengers", "car", "cars"),
]

SHARERS = ["friends", "students", "teams", "children", "neighbours", "classmates", "cousins", "workers"]

SHARED = ["stickers", "marbles", "sweets", "cards", "pencils", "stamps", "beads", "coins"]

#: (noun plural, unit) for lists of measurements.
MEASURES = [
    ("test scores", "points"),
    ("daily temperatures", "degrees"),
    ("heights of the plants", "cm"),
    ("weekly step counts (in thousands)", "thousand steps"),
    ("race times", "seconds"),
    ("daily rainfall totals", "mm"),
    ("weights of the parcels", "kg"),
    ("ages of the players", "years"),
]

#: Things counted over several days.
SALES = ["cupcakes", "newspapers", "bus tickets", "ice creams", "plants", "library books", "coffees"]

#: Workplaces and what they produce per minute.
MACHINES = [
    ("bottling machine", "bottles"),
    ("printer", "pages"),
    ("bakery oven", "rolls"),
    ("packing robot", "parcels"),
    ("sewing machine", "stitches"),
    ("juicer", "cups of juice"),
]

VEHICLES = ["car", "train", "cyclist", "bus", "truck", "runner", "ferry", "tractor"]

JOBS = ["tutor", "cashier", "lifeguard", "gardener", "dog walker", "waiter", "babysitter", "barista"]

CLOTHES = ["jacket", "pair of shoes", "backpack", "lamp", "bicycle helmet", "rug", "guitar", "watch"]

PLACES = ["Oslo", "Lima", "Cairo", "Denver", "Seoul", "Perth", "Quito", "Tallinn", "Nairobi", "Hanoi"]
