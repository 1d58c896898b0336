"""`python -m gpuprof_gui.cli ...`: the same as the `gpuprof` command."""

import sys

from gpuprof_gui.cli import main

sys.exit(main())
