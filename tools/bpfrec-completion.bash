# bash completion for bpfrec and bpfreplay (installed as
# share/bash-completion/completions/bpfrec and .../bpfreplay).

_bpfrec()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} i
	for ((i = 1; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == -- ]] && { COMPREPLY=($(compgen -c -- "$cur")); return; }
	done
	if ((COMP_CWORD == 1)); then
		COMPREPLY=($(compgen -W "record probes help version" -- "$cur"))
		return
	fi
	case $prev in
	-o|--output|--cgroup|--kernel-btf) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--bpf) COMPREPLY=($(compgen -f -X '!*.o' -- "$cur") $(compgen -d -- "$cur")); return ;;
	--probe) COMPREPLY=($(compgen -W "exec exit connect sock none" -- "$cur")); return ;;
	-p|--pid) COMPREPLY=($(compgen -W "$(ls /proc | grep '^[0-9]')" -- "$cur")); return ;;
	esac
	case ${COMP_WORDS[1]} in
	record)
		COMPREPLY=($(compgen -W "--output --probe --bpf --set --kernel-btf --only --skip
			--event --ringbuf-size --snapshot-interval --duration --pid --cgroup --all
			--flush-interval --ring --ring-time --perf-pages --status --no-status --quiet
			--verbose --help" -- "$cur")) ;;
	help) COMPREPLY=($(compgen -W "record probes help version" -- "$cur")) ;;
	*) COMPREPLY=($(compgen -W "--help" -- "$cur")) ;;
	esac
}

_bpfreplay()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local cmds="info show sql verify recover bundle export help version"
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
	show) [[ $cur == -* ]] && COMPREPLY=($(compgen -W "--stream --since --until --pid --where
		--output --relative --help" -- "$cur")) || COMPREPLY=($(compgen -f -- "$cur")) ;;
	*) [[ $cur == -* ]] && COMPREPLY=($(compgen -W "--output --help" -- "$cur")) ||
		COMPREPLY=($(compgen -f -- "$cur")) ;;
	esac
}

complete -F _bpfrec bpfrec
complete -F _bpfreplay bpfreplay
