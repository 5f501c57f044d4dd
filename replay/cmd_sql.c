/* cmd_sql.c - bpfreplay sql (in progress). */
#include "cli.h"

int cmd_sql(int argc, char **argv)
{
	return cli__usage_error("sql", "not implemented yet");
}
