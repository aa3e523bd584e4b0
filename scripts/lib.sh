# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Shell helpers shared by scripts/ and bench/ (source it).

# Mount point of the first filesystem of type $1 in /proc/self/mountinfo.
# Field 5 is the mount point; the type is the first field after the " - "
# separator (the optional fields before it vary in number).
mount_of_type() {
	awk -v t="$1" '{ for (i = 7; i <= NF; i++) if ($i == "-") break;
			 if ($(i + 1) == t) { print $5; exit } }' /proc/self/mountinfo
}

# The cgroup v2 mount point (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid systems).
cg2_mount() { mount_of_type cgroup2; }
