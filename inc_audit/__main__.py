from inc_audit.cli import command_line

command_line()
