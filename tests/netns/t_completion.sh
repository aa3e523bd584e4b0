# Bash completion (completion/sockaccelctl, completion/sockaccel-loader):
# vm: host-only bash completion scripts, user space only
# commands, options, option values; `detach` offers the cgroups attached in the
# pin dir named by --pin-dir on the line (the test's own, loaded here) and no
# other's; --unit offers the running systemd services (a stand-in systemctl on
# PATH); the loader's --pin-dir offers directories, --config files.
# timeout: 60
. "$SA_LIB"
BC=/usr/share/bash-completion/bash_completion
[ -r "$BC" ] || skip "bash-completion not installed ($BC)"
need_bin sockaccelctl sockaccel-loader

# A stand-in systemctl (list-units only) ahead of the real one on PATH, and the
# build dir so that the completion runs our sockaccelctl as `sockaccelctl`.
mkdir -p "$SA_TMP/bin"
cat >"$SA_TMP/bin/systemctl" <<'EOS'
#!/bin/sh
case "$*" in
*list-units*) printf '%s\n' \
	'redis-server.service loaded active running Advanced key-value store' \
	'nginx.service        loaded active running A high performance web server' ;;
*) exit 1 ;;
esac
EOS
chmod +x "$SA_TMP/bin/systemctl"
export PATH="$SA_TMP/bin:$SA_BUILD:$PATH"
mkdir -p "$SA_TMP/dirs/pins-a" "$SA_TMP/dirs/pins-b"
: >"$SA_TMP/dirs/my.conf"

load "$SA_CG"
# the path as status reports it (what detach takes back)
cgpath=$($SA_CTL -j status | jq -r '.cgroups[0].path')
[ -n "$cgpath" ] && [ "$cgpath" != null ] || fail "status -j shows no attached cgroup"
info "attached: $cgpath"

# comp SCRIPT LINE: complete LINE (the last word is the one being completed,
# "" after a trailing space) in a fresh bash with bash-completion and SCRIPT;
# prints COMPREPLY one per line.
comp() {
	local script=$1 line=$2
	bash -c '
		. "$1" 2>/dev/null; . "$2"
		read -r -a COMP_WORDS <<<"$3"
		[[ $3 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
		COMP_LINE=$3; COMP_POINT=${#3}
		fn=$(complete -p "${COMP_WORDS[0]}" | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
		[ -n "$fn" ] || { echo "no completion for ${COMP_WORDS[0]}" >&2; exit 1; }
		cd "$4" && "$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' comp "$BC" "$SA_ROOT/completion/$script" "$line" "$SA_TMP/dirs" || fail "completion of '$line' failed"
}
# has SCRIPT LINE WORD... : every WORD is offered
has() {
	local script=$1 line=$2 out w
	shift 2
	out=$(comp "$script" "$line")
	for w in "$@"; do
		grep -qxF -- "$w" <<<"$out" || fail "'$line<TAB>' does not offer '$w' (got: $(echo $out))"
	done
	echo "ok: '$line' -> $(echo $out | head -c 200)"
}
# hasnt SCRIPT LINE WORD... : no WORD is offered
hasnt() {
	local script=$1 line=$2 out w
	shift 2
	out=$(comp "$script" "$line")
	for w in "$@"; do
		grep -qxF -- "$w" <<<"$out" && fail "'$line<TAB>' offers '$w' (got: $(echo $out))"
	done
	echo "ok: '$line' -> not $*"
}

C=sockaccelctl L=sockaccel-loader
# commands, and only the matching ones
has $C "sockaccelctl " status stats conns detach teardown latency run help
has $C "sockaccelctl st" status stats
hasnt $C "sockaccelctl st" conns detach
has $C "sockaccelctl -j " status detach
has $C "sockaccelctl --pin-dir $SA_PIN " status detach
# global options; each command's own
has $C "sockaccelctl -" -j --json -p --pretty --pin-dir --help
has $C "sockaccelctl stats -" -i -c --prometheus
has $C "sockaccelctl detach -" --timeout --force --unit --pid --container
has $C "sockaccelctl teardown --" --timeout --force
has $C "sockaccelctl run -" --name --parent --timeout --
has $C "sockaccelctl latency --m" --milliseconds --microseconds --mechanism --max-threads
has $C "sockaccelctl latency --mechanism " auto fentry tp_btf raw_tp
has $C "sockaccelctl latency --preset " sockets file all list
hasnt $C "sockaccelctl status " status --force
# an abbreviated command is taken as sockaccelctl takes it
has $C "sockaccelctl det --f" --force
# --pin-dir: directories (relative to the cwd, here $SA_TMP/dirs)
has $C "sockaccelctl --pin-dir pins-" pins-a pins-b
# attached cgroups: from the pin dir on the line, both spellings
has $C "sockaccelctl --pin-dir $SA_PIN detach " "$cgpath"
has $C "sockaccelctl -j --pin-dir=$SA_PIN detach " "$cgpath"
has $C "sockaccelctl --pin-dir $SA_PIN det ${cgpath:0:5}" "$cgpath"
# not another pin dir's (an empty one here)
hasnt $C "sockaccelctl --pin-dir $SA_TMP/dirs/pins-a detach " "$cgpath"
# units (stand-in systemctl), pids
has $C "sockaccelctl detach --unit " redis-server.service nginx.service
has $C "sockaccelctl detach --unit red" redis-server.service
hasnt $C "sockaccelctl detach --unit red" nginx.service
has $C "sockaccelctl detach --pid " "$$"
# run: after --, a command
has $C "sockaccelctl run --name x -- sockaccel-loa" sockaccel-loader

# the loader
has $L "sockaccel-loader -" --pin-dir --config --unit --pid --container --foreground \
	--drain-timeout --metrics --map-size --probe --upgrade --ports --exclude-ports \
	--exclude-comm --max-unread --redirect-streams --accelerate-short --splicers --help -v -j
has $L "sockaccel-loader --unit " redis-server.service nginx.service
has $L "sockaccel-loader --foreground --unit ngi" nginx.service
has $L "sockaccel-loader --pid " "$$"
has $L "sockaccel-loader --pin-dir pins-" pins-a pins-b
has $L "sockaccel-loader --config my" my.conf
has $L "sockaccel-loader --splicers " haproxy none
hasnt $L "sockaccel-loader --map-size " --pin-dir
has $L "sockaccel-loader --foreground pins-" pins-a pins-b
