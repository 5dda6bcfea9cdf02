from vt_devstack.cli import main

raise SystemExit(main())
