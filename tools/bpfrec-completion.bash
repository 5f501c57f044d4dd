# bash completion for bpfrec and bpfreplay (installed as
# share/bash-completion/completions/bpfrec and .../bpfreplay).
#
# Commands and options are read from the programs' own --help, so that
# completion cannot fall behind them (tests/unit/test_cli_help.c checks
# that every option of every command is in its --help).  Only the values
# of a few options are known here.

# The commands: the lines "  NAME  description" of TOOL --help.
_bpfrec_commands()
{
	"$1" --help 2>/dev/null | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p'
}

# The long and short options of TOOL COMMAND --help.
_bpfrec_options()
{
	"$1" "$2" --help 2>/dev/null | grep -oE -- '(^|[ ,])--?[a-zA-Z][a-zA-Z0-9-]*' |
		sed 's/^[ ,]//' | sort -u
}

_bpfrec()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} i
	local tool=${COMP_WORDS[0]}
	for ((i = 1; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == -- ]] && { COMPREPLY=($(compgen -c -- "$cur")); return; }
	done
	if ((COMP_CWORD == 1)); then
		COMPREPLY=($(compgen -W "$(_bpfrec_commands "$tool") --help --version" -- "$cur"))
		return
	fi
	case $prev in
	-o|--output|--cgroup|--kernel-btf) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--bpf) COMPREPLY=($(compgen -f -X '!*.o' -- "$cur") $(compgen -d -- "$cur")); return ;;
	--probe) COMPREPLY=($(compgen -W "exec exit connect sock none" -- "$cur")); return ;;
	-p|--pid) COMPREPLY=($(compgen -W "$(ls /proc | grep '^[0-9]')" -- "$cur")); return ;;
	esac
	case ${COMP_WORDS[1]} in
	help) COMPREPLY=($(compgen -W "$(_bpfrec_commands "$tool")" -- "$cur")) ;;
	*) COMPREPLY=($(compgen -W "$(_bpfrec_options "$tool" "${COMP_WORDS[1]}")" -- "$cur")) ;;
	esac
}

_bpfreplay()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local tool=${COMP_WORDS[0]} cmds
	cmds=$(_bpfrec_commands "$tool")
	if ((COMP_CWORD == 1)); then
		COMPREPLY=($(compgen -W "$cmds --help --version" -- "$cur"))
		return
	fi
	case $prev in
	-o|--output)
		case ${COMP_WORDS[1]} in
		show) COMPREPLY=($(compgen -W "line table csv jsonl" -- "$cur")) ;;
		sql|info) COMPREPLY=($(compgen -W "table csv jsonl json" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -f -- "$cur")) ;;
		esac
		return ;;
	esac
	case ${COMP_WORDS[1]} in
	help) COMPREPLY=($(compgen -W "$cmds" -- "$cur")) ;;
	*) [[ $cur == -* ]] &&
		COMPREPLY=($(compgen -W "$(_bpfrec_options "$tool" "${COMP_WORDS[1]}")" -- "$cur")) ||
		COMPREPLY=($(compgen -f -- "$cur")) ;;
	esac
}

complete -F _bpfrec bpfrec
complete -F _bpfreplay bpfreplay
