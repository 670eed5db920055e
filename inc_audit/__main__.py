from inc_audit.cli import main

main()
