from pshell.cli import run

run()
