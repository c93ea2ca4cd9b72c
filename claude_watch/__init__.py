"""claude-watch: watch what your Claude Code agents are doing, live, in your terminal."""

__version__ = "0.1.0"
