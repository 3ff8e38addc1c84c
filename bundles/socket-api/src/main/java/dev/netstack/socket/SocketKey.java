package dev.netstack.socket;

/** The registration of one socket with one {@link SocketSelector}. */
public interface SocketKey {

    Socket socket();

    SocketSelector selector();

    int interestOps();

    /** Changes the interest set; takes effect at the next select. Any thread. */
    SocketKey interestOps(int ops);

    /** Ready operations found by the last select (subset of the interest set). */
    int readyOps();

    Object attachment();

    Object attach(Object attachment);

    boolean isValid();

    void cancel();
}
