"""Scientific tools for mentor: geometry, physics, statistics, number theory and units.

Installed, this distribution registers its tools with mentor through the `mentor`
entry-point group; `mentor_scitools.plugin` holds the hook. The domain modules are plain
Python and can be called directly.
"""

__version__ = "0.1.0"
