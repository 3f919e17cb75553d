#!/usr/bin/env bash
# Writes the man pages redis-ha(8) and redis-ha.conf(5) into OUTDIR, made from README.md so that
# each fact (the exit codes, the key table, the sample) has one home: the README.
#
#   packaging/man.sh OUTDIR [VERSION]
#
# Plain awk (mawk or gawk) and groff's man macros; no pandoc. The markdown handled is what the
# README uses in those sections: paragraphs, bullet lists, ``` blocks, tables, `code`, **bold**,
# [text](link).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:?usage: man.sh OUTDIR [VERSION]}
VERSION=${2:-$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$ROOT/Directory.Build.props")}
README=$ROOT/README.md
DATE=$(date -u -d "@$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)" +%Y-%m-%d)
mkdir -p "$OUT"

# render PAGE: the awk program reading README.md. Each page picks sections by heading.
render() {
    awk -v page="$1" -v version="$VERSION" -v date="$DATE" '
    function esc(s) { gsub(/\\/, "\\e", s); return s }
    # One line of markdown inline text -> groff.
    function inline(s,    out, i, j, code) {
        s = esc(s)
        gsub(/\xe2\x80\x94/, "\\(em", s); gsub(/\xe2\x80\xa6/, "...", s)
        out = ""
        while ((i = index(s, "`")) > 0) {
            j = index(substr(s, i + 1), "`")
            if (j == 0) break
            code = substr(s, i + 1, j - 1)
            gsub(/-/, "\\-", code)
            out = out substr(s, 1, i - 1) "\\fB" code "\\fR"
            s = substr(s, i + j + 1)
        }
        s = out s
        while ((i = index(s, "**")) > 0) {
            j = index(substr(s, i + 2), "**")
            if (j == 0) break
            s = substr(s, 1, i - 1) "\\fB" substr(s, i + 2, j - 1) "\\fR" substr(s, i + j + 3)
        }
        # [text](link) -> text
        while (match(s, /\[[^]]*\]\([^)]*\)/)) {
            t = substr(s, RSTART + 1, RLENGTH - 2); sub(/\]\(.*/, "", t)
            s = substr(s, 1, RSTART - 1) t substr(s, RSTART + RLENGTH)
        }
        if (s ~ /^[.\047]/) s = "\\&" s
        return s
    }
    function cells(line, arr,    n) {
        sub(/^[ \t]*\|/, "", line); sub(/\|[ \t]*$/, "", line)
        n = split(line, arr, /\|/)
        for (k = 1; k <= n; k++) { gsub(/^[ \t]+|[ \t]+$/, "", arr[k]) }
        return n
    }
    function heading(level, text) { section = text; sectlevel = level }
    function want() {
        if (page == "redis-ha.8") return section == "Running a node" || section ~ /^As a service/ || section == "Status" || section == "Switchover"
        return section == "Configuration"
    }
    BEGIN {
        if (page == "redis-ha.8") {
            print ".TH REDIS\\-HA 8 \"" date "\" \"redis-ha " version "\" \"System Administration\""
            print ".SH NAME"; print "redis-ha \\- one virtual IP on the writable Redis master, with safe automatic failover"
        } else {
            print ".TH REDIS\\-HA.CONF 5 \"" date "\" \"redis-ha " version "\" \"File Formats\""
            print ".SH NAME"; print "redis-ha.conf \\- configuration of a redis-ha node"
            print ".SH SYNOPSIS"; print ".B /etc/redis-ha/redis-ha.conf"
        }
    }
    /^```/ {
        if (incode) { incode = 0; if (show) print ".fi\n.RE"; next }
        incode = 1; if (show) print ".RS 4\n.nf"; next
    }
    incode { if (show) { l = esc($0); gsub(/-/, "\\-", l); if (l ~ /^[.\047]/) l = "\\&" l; print l }; next }
    /^#+ / {
        level = index($0, " ") - 1; text = substr($0, level + 2)
        heading(level, text)
        # The intro paragraph (before the first ## heading) is the description of redis-ha(8).
        intro = (level == 1)
        show = want()
        if (show) {
            if (page == "redis-ha.8" && text == "Running a node") print ".SH DESCRIPTION\n" introtext "\n.SH SYNOPSIS"
            else if (page == "redis-ha.conf.5" && text == "Configuration") print ".SH DESCRIPTION"
            else print ".SH " toupper(inline(text))
        }
        intable = 0; next
    }
    intro && /^Design and rationale/ { intro = 0 }
    intro && NF { introtext = introtext (introtext == "" ? "" : "\n") inline($0); next }
    !show { next }
    /^\|/ {
        n = cells($0, c)
        if (!intable) {
            intable = 1; ncols = n; for (k = 1; k <= n; k++) head[k] = c[k]
            exits = (head[1] == "exit code")
            print (exits ? ".SH EXIT STATUS" : ".PP"); next
        }
        if (c[1] ~ /^-+$/) next
        if (ncols == 2) { print ".TP\n.B " inline(c[1]); print inline(c[2]); next }
        # The key table: key, default, allowed, meaning.
        print ".TP"; print inline(c[1])
        line = head[2] " " (c[2] == "" ? "\\(em" : inline(c[2]))
        if (c[3] != "") line = line "; " head[3] ": " inline(c[3])
        print line ".\n.br"; print inline(c[4])
        next
    }
    intable { intable = 0; if (exits) { print ".SH OPERATION"; exits = 0 } }
    /^Built from source:/ { skip = 1 }
    skip { if ($0 == "") skip = 0; next }
    /^- / { print ".IP \\(bu 2"; print inline(substr($0, 3)); listitem = 1; next }
    /^  [^ ]/ && listitem { print inline(substr($0, 3)); next }
    /^$/ { print ".PP"; listitem = 0; next }
    { print inline($0) }
    END {
        if (page == "redis-ha.8") {
            print ".SH FILES\n.TP\n.B /etc/redis-ha/redis-ha.conf\nthe node configuration (redis-ha.conf(5))"
            print ".TP\n.B /usr/lib/systemd/system/redis-ha.service\nthe systemd unit: runs the node as user redis-ha with CAP_NET_RAW and CAP_NET_ADMIN only"
            print ".SH SEE ALSO\n.BR redis-ha.conf (5),\n.BR keepalived (8),\n.BR redis-server (1),\n.BR systemctl (1),\n.BR journalctl (1)"
        } else {
            print ".SH FILES\n.TP\n.B /etc/redis-ha/redis-ha.conf\nthe packaged sample, kept on upgrade"
            print ".SH SEE ALSO\n.BR redis-ha (8)"
        }
    }' "$README"
}

render redis-ha.8 | sed '/^\.PP$/{N;/^\.PP\n\.\(PP\|SH\|TP\|RS\)/!b;s/^\.PP\n//}' > "$OUT/redis-ha.8"
render redis-ha.conf.5 | sed '/^\.PP$/{N;/^\.PP\n\.\(PP\|SH\|TP\|RS\)/!b;s/^\.PP\n//}' > "$OUT/redis-ha.conf.5"
