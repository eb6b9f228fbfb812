"""FlowAI: a visual AI-workflow builder whose published flows are JSON/SSE HTTP endpoints.

The package is layered: ``ui`` -> ``flowai`` -> ``nodes`` / ``storage``. Nothing in this
``__init__`` imports heavy modules, so ``nodes`` can import ``flowai`` core types freely.
"""

__version__ = "0.1.0"
