package dev.netstack.tcp.internal;

/**
 * The sender's side of SACK-based loss recovery: the scoreboard and the routines of RFC 6675 §4
 * over it, plus the detection of lost retransmissions, which RFC 6675 leaves out.
 *
 * <p>Read first: RFC 6675 §2 (HighACK, HighData, HighRxt, RescueRxt, Pipe), §3 (the scoreboard),
 * §4 (Update, IsLost, SetPipe, NextSeg), RFC 2018 §8 (SACK information is advisory). The recovery
 * procedure itself (§5: entering, continuing and leaving recovery, §5.1 timeouts) is in
 * {@link Tcb}, which asks this class what to send.
 *
 * <p>Sequence numbers here are exclusive ends, where RFC 6675 names the last octet: {@link #highRxt}
 * is one past the RFC's HighRxt, {@code una} (SND.UNA) one past HighACK, {@code sndMax} one past
 * HighData. An octet {@code s} is "at or below HighRxt" when {@code s < highRxt}.
 *
 * <pre>
 *   una                         highRxt                      highest SACKed      sndMax
 *    |                             |                              |                 |
 *    [hole][SACK][hole ][SACK]    [hole][SACK][hole][SACK][SACK][hole]..............|
 *    |-- retransmitted -------------|-- IsLost below lostBoundary --|-- rule 4 only --|
 * </pre>
 *
 * <p><b>Lost retransmissions</b> (not in RFC 6675, after Linux's "lost retransmit" detection and
 * the time ordering of RACK, RFC 8985): every retransmission of rules (1), (3) and of this
 * extension is logged in send order with HighData at the time it left. A logged retransmission
 * none of whose octets are SACKed is taken as lost when data sent after it was SACKed: either an
 * octet at or above its logged HighData (new data sent later) or any octet of a later logged
 * retransmission. Its range goes to {@link #lostRetransmits} and is sent again before rule (1);
 * until then it does not count in pipe. Without this, a lost retransmission is found only by the
 * retransmission timer, because rule (1) never goes below HighRxt. Reordering can make this fire
 * spuriously; the cost is one extra retransmission.
 *
 * <p>Shard-confined; allocation-free after construction. The log holds {@code logCapacity}
 * retransmissions; when it is full the oldest entry is forgotten (that retransmission can then
 * only be repaired by the timer).
 */
final class SackScoreboard {

    /** RFC 6675 §2 DupThresh. */
    static final int DUP_THRESH = 3;

    /** NextSeg rule numbers as reported by {@link #rule}; 0 is the lost-retransmission extension. */
    static final int RULE_LOST_RETRANSMIT = 0;
    static final int RULE_LOST = 1;
    static final int RULE_UNSACKED = 3;
    static final int RULE_RESCUE = 4;

    /** SACKed octets above SND.UNA (RFC 6675 §3). */
    final SeqRanges sacked;
    /** Retransmitted octets found lost again, to be retransmitted once more. */
    final SeqRanges lostRetransmits;

    private final int[] logStart;
    private final int[] logEnd;
    private final int[] logMark;
    private int logHead;
    private int logSize;

    /** One past RFC 6675 HighRxt. */
    int highRxt;
    /**
     * One past RFC 6675 RescueRxt; a rescue is allowed when HighACK > RescueRxt, i.e. when
     * {@code rescueRxt < una} (both one past the octet the RFC names).
     */
    int rescueRxt;

    /** Result of the last successful {@code next*} query: the range {@code [start, end)} and its rule. */
    int start;
    int end;
    int rule;

    SackScoreboard(int maxRanges, int logCapacity) {
        sacked = new SeqRanges(maxRanges);
        lostRetransmits = new SeqRanges(maxRanges);
        logStart = new int[logCapacity];
        logEnd = new int[logCapacity];
        logMark = new int[logCapacity];
    }

    static boolean lt(int a, int b) {
        return a - b < 0;
    }

    static boolean le(int a, int b) {
        return a - b <= 0;
    }

    static int max(int a, int b) {
        return lt(a, b) ? b : a;
    }

    static int min(int a, int b) {
        return lt(a, b) ? a : b;
    }

    // ------------------------------------------------------------------ §4 Update()

    /**
     * RFC 6675 §4 Update(): records one SACK block, clipped to {@code [una, sndMax)}.
     *
     * @return octets SACKed by this block that were not SACKed before (RFC 6675 §2: an ACK adding
     *     any is a duplicate acknowledgment)
     */
    long update(int una, int sndMax, int left, int right) {
        if (lt(left, una)) {
            left = una;
        }
        if (lt(sndMax, right) || !lt(left, right)) {
            return 0; // beyond what was sent (RFC 2018 §4: ignore), or a D-SACK below SND.UNA
        }
        long before = sacked.totalBytes();
        sacked.add(left, right);
        return sacked.totalBytes() - before;
    }

    /** A cumulative ACK moved SND.UNA to {@code una}: forget what it covers. */
    void acknowledged(int una) {
        sacked.removeBelow(una);
        lostRetransmits.removeBelow(una);
        if (lt(highRxt, una)) {
            highRxt = una;
        }
        while (logSize > 0 && le(logEnd[logHead], una)) {
            dropOldest();
        }
    }

    /** RFC 6675 §5.1 with RFC 2018 §8: after a timeout the receiver may have reneged; start over. */
    void reset(int una) {
        sacked.clear();
        endRecovery(una);
    }

    /** The state of a new connection (the scoreboard of a pooled connection block is reused). */
    void clear() {
        sacked.clear();
        endRecovery(0);
        start = 0;
        end = 0;
        rule = 0;
    }

    /** Recovery ended: SACK information is kept (RFC 6675 §5 (A)), the per-recovery state is not. */
    void endRecovery(int una) {
        lostRetransmits.clear();
        logHead = 0;
        logSize = 0;
        highRxt = una;
        rescueRxt = una;
    }

    // ------------------------------------------------------------------ §4 IsLost()

    /**
     * RFC 6675 §4 IsLost() for every unSACKed octet at once: an unSACKed octet {@code s} is lost
     * iff {@code s < lostBoundary(...)}. IsLost(s) holds when DupThresh discontiguous SACKed
     * sequences lie above {@code s} or more than (DupThresh - 1) * SMSS SACKed octets do. SACKed
     * segments are counted as {@code ceil(length / SMSS)} per range: every SACKed range holds at
     * least that many segments (a segment carries at most SMSS), exactly that many when they are
     * full-sized, and separate ranges are separate segments. All octets of one hole have the same
     * ranges above them, so the boundary is the left edge of a range.
     *
     * @return the boundary, or {@code una} when no octet is lost
     */
    int lostBoundary(int una, int mss) {
        long bytes = 0;
        long segments = 0;
        long byteThreshold = (long) (DUP_THRESH - 1) * mss;
        for (int i = sacked.count() - 1; i >= 0; i--) {
            int length = sacked.right(i) - sacked.left(i);
            bytes += length;
            segments += (length + mss - 1) / mss;
            if (segments >= DUP_THRESH || bytes > byteThreshold) {
                return sacked.left(i);
            }
        }
        return una;
    }

    /** RFC 6675 §4 IsLost(seq) for an octet at or above {@code una}. */
    boolean isLost(int seq, int una, int mss) {
        return !sacked.contains(seq) && lt(seq, lostBoundary(una, mss));
    }

    // ------------------------------------------------------------------ §4 SetPipe()

    /** Octets in {@code [from, to)} not SACKed. */
    long unsacked(int from, int to) {
        if (!lt(from, to)) {
            return 0;
        }
        return (long) (to - from) - sacked.bytesBetween(from, to);
    }

    /**
     * RFC 6675 §4 SetPipe(): every unSACKed octet in {@code [una, sndMax)} counts once if it is not
     * lost (a) and once more if it was retransmitted, i.e. is at or below HighRxt (b). Retransmitted
     * octets found lost again (class comment) lose the count of (b) until they are sent again.
     */
    long pipe(int una, int sndMax, int mss) {
        long pipe = unsacked(una, sndMax);
        int lost = min(lostBoundary(una, mss), sndMax);
        pipe -= unsacked(una, lost);                    // (a): lost octets are not in the network
        int retransmitted = min(highRxt, sndMax);
        pipe += unsacked(una, retransmitted);           // (b): their retransmissions are
        for (int i = 0; i < lostRetransmits.count(); i++) {
            pipe -= unsacked(max(una, lostRetransmits.left(i)), min(lostRetransmits.right(i), retransmitted));
        }
        return Math.max(0, pipe);
    }

    // ------------------------------------------------------------------ §4 NextSeg()

    /** The first unSACKed octet at or above {@code seq}. */
    int firstUnsacked(int seq) {
        return sacked.coveredFrom(seq);
    }

    /** Sets the result to {@code [from, min(from + mss, next SACKed octet, sndMax))}; false if empty. */
    boolean result(int from, int sndMax, int mss, int rule) {
        start = from;
        end = min(min(from + mss, sacked.nextLeftAbove(from, sndMax)), sndMax);
        this.rule = rule;
        return lt(start, end);
    }

    /** Extension before rule (1): the first unSACKed octet of a retransmission found lost. */
    boolean nextLostRetransmit(int una, int sndMax, int mss) {
        while (lostRetransmits.count() > 0) {
            int from = firstUnsacked(max(una, lostRetransmits.left(0)));
            int limit = lostRetransmits.right(0);
            if (lt(from, limit)) {
                start = from;
                end = min(min(min(from + mss, sacked.nextLeftAbove(from, sndMax)), limit), sndMax);
                rule = RULE_LOST_RETRANSMIT;
                if (lt(start, end)) {
                    return true;
                }
            }
            lostRetransmits.removeBelow(limit); // all of the first range is SACKed: done with it
        }
        return false;
    }

    /**
     * RFC 6675 §4 NextSeg() rule (1): the smallest unSACKed octet S2 above HighRxt (1.a), below
     * the highest SACKed octet (1.b) with IsLost(S2) (1.c); one segment of up to SMSS from it.
     * The segment ends where SACKed data begins (those octets need no retransmission).
     */
    boolean nextLost(int una, int sndMax, int mss) {
        int from = firstUnsacked(max(highRxt, una));
        return lt(from, lostBoundary(una, mss)) && result(from, sndMax, mss, RULE_LOST);
    }

    /** RFC 6675 §4 NextSeg() rule (3): as rule (1) without (1.c). */
    boolean nextUnsacked(int una, int sndMax, int mss) {
        int from = firstUnsacked(max(highRxt, una));
        return lt(from, sacked.highest(una)) && result(from, sndMax, mss, RULE_UNSACKED);
    }

    /**
     * RFC 6675 §4 NextSeg() rule (4): once per recovery (HighACK > RescueRxt), one segment of up to
     * SMSS that includes the highest outstanding unSACKed octet. The caller sets RescueRxt to
     * RecoveryPoint ({@link #rescued}) and leaves HighRxt alone.
     */
    boolean nextRescue(int una, int sndMax, int mss) {
        if (!lt(rescueRxt, una) || !lt(una, sndMax)) {
            return false;
        }
        int top = sndMax; // one past the highest unSACKed octet
        int count = sacked.count();
        if (count > 0 && sacked.right(count - 1) == sndMax) {
            top = sacked.left(count - 1);
        }
        if (!lt(una, top)) {
            return false;
        }
        int holeStart = max(una, sacked.lastRightAtOrBelow(top - 1, una));
        start = max(holeStart, top - mss);
        end = top;
        rule = RULE_RESCUE;
        return true;
    }

    /** RFC 6675 §4 NextSeg() rule (4): RescueRxt = RecoveryPoint. */
    void rescued(int recoveryPoint) {
        rescueRxt = recoveryPoint;
    }

    // ------------------------------------------------------------------ lost retransmissions

    /** Logs a retransmission of {@code [from, to)} sent while {@code sndMax} was HighData + 1. */
    void logRetransmission(int from, int to, int sndMax) {
        if (logSize == logStart.length) {
            dropOldest();
        }
        int i = (logHead + logSize) % logStart.length;
        logStart[i] = from;
        logEnd[i] = to;
        logMark[i] = sndMax;
        logSize++;
    }

    int loggedRetransmissions() {
        return logSize;
    }

    private void dropOldest() {
        logHead = (logHead + 1) % logStart.length;
        logSize--;
    }

    /**
     * Finds logged retransmissions that were lost (class comment) and moves their ranges to
     * {@link #lostRetransmits}; forgets the ones that arrived.
     *
     * @return the number of retransmissions found lost
     */
    int detectLostRetransmissions(int una) {
        int highest = sacked.highest(una);
        int newest = -1; // the newest entry that arrived or was overtaken by SACKed new data
        for (int j = logSize - 1; j >= 0; j--) {
            int i = (logHead + j) % logStart.length;
            if (lt(logMark[i], highest) || sacked.overlaps(max(una, logStart[i]), logEnd[i])) {
                newest = j;
                break;
            }
        }
        int found = 0;
        for (int j = 0; j <= newest; j++) {
            int i = logHead;
            int from = max(una, logStart[i]);
            int to = logEnd[i];
            // lost: nothing of it SACKed, and something sent after it was
            if (lt(from, to) && !sacked.overlaps(from, to) && (j < newest || lt(logMark[i], highest))) {
                if (lostRetransmits.add(from, to) != -1) {
                    found++;
                }
            }
            dropOldest();
        }
        return found;
    }
}
