"""`python -m mentor_dsl ...` is `mentor ...` (handy under `accelerate launch -m`)."""

from .cli import main

main()
