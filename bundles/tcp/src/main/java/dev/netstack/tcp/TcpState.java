package dev.netstack.tcp;

/** The eleven connection states of RFC 9293 §3.3.2 (Figure 5). */
public enum TcpState {
    /** No connection (the state before creation and after the TCB is deleted). */
    CLOSED,
    /** Waiting for a connection request (a listener). */
    LISTEN,
    /** Sent a SYN, waiting for a matching SYN. */
    SYN_SENT,
    /** Received a SYN (and sent ours), waiting for the ACK of our SYN. */
    SYN_RECEIVED,
    /** Open: data flows both ways. */
    ESTABLISHED,
    /** We sent FIN; waiting for its ACK or the peer's FIN. */
    FIN_WAIT_1,
    /** Our FIN is acknowledged; waiting for the peer's FIN. */
    FIN_WAIT_2,
    /** The peer sent FIN; waiting for our application to close. */
    CLOSE_WAIT,
    /** Both sent FIN at the same time (simultaneous close); waiting for the ACK of ours. */
    CLOSING,
    /** The peer closed first and we sent our FIN; waiting for its ACK. */
    LAST_ACK,
    /** Waiting 2·MSL so that the peer surely received the ACK of its FIN. */
    TIME_WAIT;

    /** Whether the connection is synchronized (RFC 9293 §3.10.7.4 "synchronized states"). */
    public boolean isSynchronized() {
        return ordinal() >= ESTABLISHED.ordinal();
    }

    /** Whether our side may still send data (ESTABLISHED, CLOSE_WAIT). */
    public boolean canSend() {
        return this == ESTABLISHED || this == CLOSE_WAIT;
    }
}
