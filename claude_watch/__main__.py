import sys

from claude_watch.cli import main

sys.exit(main())
