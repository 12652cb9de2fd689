from srcgrad.cli import main

raise SystemExit(main())
