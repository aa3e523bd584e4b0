# The man page sources (man/*.8.rst) and bash completions (completion/*) are in
# vm: host-only compares help texts with docs and completion, user space only
# step with the programs: every long option printed by `sockaccel-loader
# --help`, every command and option of `sockaccelctl --help` (and `latency
# --help`) appears in the program's man page AND its completion script; and
# every option the page or the script names exists in the help text (or is in
# the lists below, each with its reason).
# timeout: 30
. "$SA_LIB"
need_bin sockaccel-loader sockaccelctl
R=$SA_ROOT

# Options other helpers' branches add in parallel (issue 15): documented and
# completed already; checked as soon as the binary prints them. Empty this list
# once they are merged.
PENDING=""
# Other programs' options a page or script names, per file.
FOREIGN_loader_man="--prometheus --now"	# sockaccelctl stats --prometheus; systemctl enable --now
FOREIGN_ctl_man="--port"			# redis-server --port, in an example of run
FOREIGN_comp="--type --no-legend --plain --format"	# systemctl list-units, docker ps

longs() { grep -o -- '--[a-z][a-z0-9-]*' | sort -u; }
shorts() { grep -oE -- '(^|[ [,])-[a-zA-Z](,| |$)' | grep -oE -- '-[a-zA-Z]' | sort -u; }
fails=0
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# The words the script offers: every compgen -W '...' list (a mention in a
# case pattern alone does not complete an option).
offered() { python3 -c 'import re,sys; print("\n".join(w for m in re.findall(r"compgen -W \x27([^\x27]*)\x27", open(sys.argv[1]).read()) for w in m.split()))' "$1" | sort -u; }
# Where a page documents an option: the loader's page has an OPTIONS entry
# for each ("-v, --verbose" / "--pin-dir DIR" at the start of a line);
# sockaccelctl's names them in bold (**--force**) in its commands and options.
documented() {	# MAN OPTION
	case $1 in
	*/sockaccel-loader.8.rst) grep -qE -- "^(-[a-zA-Z?], )?$2(,| |$)|^-[a-zA-Z?], ([a-z-]+, )?$2( |$)" "$1" ;;
	*) grep -qE -- "^(-[a-zA-Z?], )?$2(,| |$)|\*\*$2\*\*" "$1" ;;
	esac
}
# check NAME HELPTEXT MAN COMP FOREIGN_MAN
check() {
	local name=$1 help=$2 man=$3 comp=$4 foreign_man=$5 o n=0 words
	words=$(offered "$comp")
	for o in $(longs <<<"$help") $(shorts <<<"$help"); do
		[ "$o" = "-?" ] && continue
		n=$((n + 1))
		documented "$man" "$o" || bad "$name: $o (in --help) is not documented in ${man#"$R"/}"
		grep -qxF -- "$o" <<<"$words" || bad "$name: $o (in --help) is not offered by ${comp#"$R"/}"
	done
	info "$name: $n options in --help checked against ${man#"$R"/} and ${comp#"$R"/}"
	for o in $(longs <"$man"); do
		grep -qE -- "(^|[^a-z-])$o([^a-z-]|$)" <<<"$help" && continue
		case " $foreign_man " in *" $o "*) continue ;; esac
		case " $PENDING " in *" $o "*) info "$name: $o pending (not in this build's --help)"; continue ;; esac
		bad "$name: ${man#"$R"/} names $o, which --help does not"
	done
	for o in $(longs <"$comp"); do
		grep -qE -- "(^|[^a-z-])$o([^a-z-]|$)" <<<"$help" && continue
		case " $FOREIGN_comp " in *" $o "*) continue ;; esac
		case " $PENDING " in *" $o "*) continue ;; esac
		bad "$name: ${comp#"$R"/} names $o, which --help does not"
	done
}

lhelp=$("$SA_BUILD/sockaccel-loader" --help) || fail "sockaccel-loader --help failed"
check sockaccel-loader "$lhelp" "$R/man/sockaccel-loader.8.rst" "$R/completion/sockaccel-loader" "$FOREIGN_loader_man"

# (their EXAMPLES run other programs with options of their own: left out)
chelp=$("$SA_BUILD/sockaccelctl" --help | sed '/^EXAMPLES:/,$d') || fail "sockaccelctl --help failed"
chelp2=$("$SA_BUILD/sockaccelctl" help | sed '/^EXAMPLES:/,$d') || fail "sockaccelctl help failed"
[ "$chelp" = "$chelp2" ] || bad "sockaccelctl --help and help differ"
lathelp=$("$SA_BUILD/sockaccelctl" latency --help | sed '/^EXAMPLES:/,$d') || fail "sockaccelctl latency --help failed"
check sockaccelctl "$chelp
$lathelp" "$R/man/sockaccelctl.8.rst" "$R/completion/sockaccelctl" "$FOREIGN_ctl_man"

# Commands: the help's COMMANDS block, the page's COMMANDS section (a
# definition list of **command**), the script's cmds='...'.
hcmds=$(sed -n '/^COMMANDS/,/^OPTIONS/p' <<<"$chelp" | sed -n 's/^    \([a-z][a-z]*\)\( .*\)\{0,1\}$/\1/p' | sort -u)
mcmds=$(sed -n '/^COMMANDS$/,/^OPTIONS$/p' "$R/man/sockaccelctl.8.rst" | sed -n 's/^\*\*\([a-z]*\)\*\*$/\1/p' | sort -u)
ccmds=$(sed -n "s/^ *local cmds='\(.*\)'$/\1/p" "$R/completion/sockaccelctl" | tr ' ' '\n' | sort -u)
[ "$(wc -w <<<"$hcmds")" -ge 8 ] || fail "found only these commands in sockaccelctl --help: $(echo $hcmds)"
info "commands: $(echo $hcmds)"
[ "$hcmds" = "$mcmds" ] || bad "commands: --help has '$(echo $hcmds)', man/sockaccelctl.8.rst '$(echo $mcmds)'"
[ "$hcmds" = "$ccmds" ] || bad "commands: --help has '$(echo $hcmds)', completion/sockaccelctl '$(echo $ccmds)'"

# Every man page source builds cleanly (rst2man --strict: warnings are errors).
if command -v rst2man >/dev/null; then
	for f in "$R"/man/*.rst; do
		rst2man --strict "$f" >/dev/null || bad "rst2man --strict ${f#"$R"/} failed"
	done
else
	info "rst2man not installed: pages not built"
fi
[ "$fails" = 0 ] || fail "$fails mismatch(es) between --help and the man pages / completion"
