"""mentor-example: a small, complete mentor plugin, written to be read and copied.

- `brevity.py`    a reward term, `brevity(max_tokens=...)`          (hook: register_terms)
- `xml_format.py` a tool-call format, `xml`                         (hook: register_formats)
- `text_tools.py` two tools, `word_count` and `reverse_string`      (hook: register_tools)
- `cli.py`        a command, `mentor lengths`                       (hook: register_commands)
- `plugin.py`     the hooks themselves: the module the entry point names

See README.md for a tour and docs/plugins.md in the mentor repository for every hook.
"""

__version__ = "0.1.0"
