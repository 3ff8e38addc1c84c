package dev.netstack.tcp;

/**
 * One connection or listener as netstat shows it: a snapshot taken on the shard thread.
 *
 * @param sendQueueBytes bytes sent or queued but not acknowledged
 * @param receiveQueueBytes in-order bytes not yet read by the application
 * @param srttUs smoothed RTT (RFC 6298), microseconds, 0 before the first sample
 * @param rttvarUs RTT variation, microseconds
 * @param rtoMs current retransmission timeout
 * @param retransmits segments retransmitted over the connection's life
 * @param congestionControl the algorithm's name
 */
public record TcpConnectionInfo(int localAddress, int localPort, int remoteAddress, int remotePort, TcpState state,
        int sendQueueBytes, int receiveQueueBytes, long cwndBytes, long ssthreshBytes, long srttUs, long rttvarUs,
        long rtoMs, long retransmits, int mssBytes, String congestionControl) {
}
