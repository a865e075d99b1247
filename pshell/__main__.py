from pshell.cli import main

raise SystemExit(main())
