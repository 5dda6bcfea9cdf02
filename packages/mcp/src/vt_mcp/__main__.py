from vt_mcp.server import main

main()
