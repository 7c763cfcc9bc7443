from gharbal.cli import main

main()
