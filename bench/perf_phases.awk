# bench/perf_phases.awk - where a weir run's time goes, by phase, from the
# call chains of a perf profile (docs/benchmarks.md, issue 11's baseline):
#
#   perf record -F 999 --call-graph dwarf,16384 -o perf.data weir run ...
#   perf script -F comm,tid,ip,sym -i perf.data | awk -f bench/perf_phases.awk
#
# Each sample goes to the first phase (then sub-phase) whose marker
# function is anywhere on its stack, so the rules run from the most
# specific to the most general; a sample of none is "other".  Prints the
# share of the samples of each phase and sub-phase, and the phase's top
# five functions by self samples.  Needs call chains through the core
# (build with -g; dwarf unwinding, as -O2 drops frame pointers).
BEGIN {
    np = 0
    phase("snapshot load at open (weir_tracker_new)", "weir_tracker_new")
    phase("state open, migrate, integrity check", "weir_state_open check_integrity migrate")
    phase("delivery: intent transaction (snapshot rows + commit)", "record_intent")
    phase("delivery: sqlite sink (statements + commit; on its own thread)", "write_sink write_aside hand_over")
    phase("delivery: settle transaction (outbox, intent settled, commit)", "commit_fresh")
    phase("delivery: what changed (changes.c)", "weir_changes_explain")
    phase("spool: writing the changes (weir_spool_put)", "weir_spool_put")
    phase("spool: reading them back (weir_spool_read)", "weir_spool_read")
    phase("track: classify (key, field hashes, index)", "weir_tracker_process")
    phase("track: deletes", "weir_tracker_emit_deletes weir_tracker_check_deletes")
    phase("source: csv read", "csv_read")
    phase("drain at the end", "weir_delivery_drain")
    phase("delivery: the rest", "weir_delivery_send")

    sub_("snapshot load", "index growth (resize)", "resize weir_track_index_reserve")
    sub_("snapshot load", "index inserts (load_hashed)", "weir_track_index_load_hashed load_flush_one")
    sub_("snapshot load", "key hash and copy (load_one)", "load_one")
    sub_("snapshot load", "count(*) of the snapshot", "sq_snapshot_count")
    sub_("snapshot load", "SQLite scan of the snapshot rows", "sqlite3_step sqlite3_column_text sqlite3_column_int64 sqlite3_column_bytes sqlite3_column_int")
    sub_("source", "kernel read()", "vfs_read ksys_read")
    sub_("source", "building records (record_set, intern, arena)", "weir_record_set weir_batch_add intern weir_arena_strndup")
    sub_("source", "CSV scan and parse", "csv_reader_next scan parse_row csv_utf8_valid")
    sub_("track: classify", "index growth (resize)", "resize")
    sub_("track: classify", "index look-ups (see_hashed)", "weir_track_index_see_hashed find_hashed")
    sub_("track: classify", "key hash (XXH3-128, prefetch)", "weir_track_index_hash")
    sub_("track: classify", "field hashes (record_hash)", "record_hash weir_field_hash")
    sub_("track: classify", "key (build_key, set_key)", "build_key weir_record_set_key weir_record_get")
    split("intent sqlite settle", d, " ")
    for (i = 1; i <= 3; i++) {
        sub_(d[i], "fsync, fdatasync", "__x64_sys_fsync __x64_sys_fdatasync do_fsync")
        sub_(d[i], "commit (journal, WAL, pages)", "sqlite3VdbeHalt sqlite3BtreeCommitPhaseOne sqlite3PagerCommitPhaseOne")
        sub_(d[i], "statements (bind, step, reset)", "sqlite3_step sqlite3_bind_text sqlite3_bind_int64 sqlite3_reset")
    }
}
# phase(NAME, MARKERS): a phase and the functions that mark it
function phase(name, marks) { pname[++np] = name; pmark[np] = " " marks " " }
# sub_(PHASE_PREFIX, NAME, MARKERS): a sub-phase of the first phase whose
# name holds PHASE_PREFIX
function sub_(pfx, name, marks,    i) {
    for (i = 1; i <= np; i++)
        if (index(pname[i], pfx)) {
            ns[i]++
            sname[i, ns[i]] = name
            smark[i, ns[i]] = " " marks " "
            return
        }
}
function has(marks,    f) {
    for (f in fr)
        if (index(marks, " " f " "))
            return 1
    return 0
}
function flush(    i, p, s) {
    if (!insample)
        return
    insample = 0
    total++
    p = 0
    for (i = 1; i <= np && !p; i++)
        if (has(pmark[i]))
            p = i
    pcount[p]++
    s = 0
    for (i = 1; p && i <= ns[p] && !s; i++)
        if (has(smark[p, i]))
            s = i
    scount[p, s]++
    selfc[p, leaf]++
    split("", fr)
}
/^[^ \t]/ { flush(); insample = 1; leaf = ""; next }
/^[ \t]*$/ { flush(); next }
{
    # "    ADDR SYMBOL+OFF (DSO)": the symbol, without offset or DSO
    line = $0
    sub(/^[ \t]*[0-9a-f]+ /, "", line)
    sub(/ \([^()]*\)$/, "", line)
    sub(/\+0x[0-9a-f]+$/, "", line)
    fr[line] = 1
    if (leaf == "")
        leaf = line
}
END {
    flush()
    if (!total) { print "no samples"; exit 1 }
    printf "samples: %d\n", total
    pname[0] = "other (start-up, exit, freeing)"
    for (i = 0; i <= np; i++)
        order[i] = i
    # phases by share, largest first (insertion sort: a dozen of them)
    for (i = 1; i <= np; i++)
        for (j = i; j > 0 && pcount[order[j]] > pcount[order[j - 1]]; j--) {
            t = order[j]; order[j] = order[j - 1]; order[j - 1] = t
        }
    for (k = 0; k <= np; k++) {
        p = order[k]
        if (!pcount[p])
            continue
        printf "%5.1f%%  %s\n", 100 * pcount[p] / total, pname[p]
        for (s = 1; s <= ns[p]; s++)
            if (scount[p, s])
                printf "          %5.1f%%  %s\n", 100 * scount[p, s] / total, sname[p, s]
        if (ns[p] && scount[p, 0])
            printf "          %5.1f%%  rest\n", 100 * scount[p, 0] / total
        # top five by self samples
        split("", top)
        line = ""
        for (n = 1; n <= 5; n++) {
            best = ""; bc = 0
            for (key in selfc) {
                split(key, kk, SUBSEP)
                if (kk[1] != p || (kk[2] in top)) continue
                if (selfc[key] > bc) { bc = selfc[key]; best = kk[2] }
            }
            if (best == "") break
            top[best] = 1
            line = line (n > 1 ? ", " : "") sprintf("%s %.1f%%", best, 100 * bc / total)
        }
        printf "          self: %s\n", line
    }
}
