"""The ``seqlab`` command line: ``main.py`` builds the parser; one module per command group.

A group module defines ``register(groups)`` which adds its subparser to ``groups`` and sets
``run=`` handlers on its verbs; ``main.py`` finds every such module in this package, so a new
group is one new file.
"""
