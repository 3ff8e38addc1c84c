package dev.netstack.tcp.internal;

import dev.netstack.tcp.TcpPortReservation;

/** A port held by a bind ({@link TcpStack#reserve}). Shard-confined. */
final class PortReservation implements TcpPortReservation {

    final TcpStack stack;
    final int localAddress;
    final int localPort;
    final boolean reuseAddress;
    /** Next reservation of the same port (another address, or SO_REUSEADDR sharing). */
    PortReservation next;
    private boolean released;

    PortReservation(TcpStack stack, int localAddress, int localPort, boolean reuseAddress) {
        this.stack = stack;
        this.localAddress = localAddress;
        this.localPort = localPort;
        this.reuseAddress = reuseAddress;
    }

    @Override
    public int localAddress() {
        return localAddress;
    }

    @Override
    public int localPort() {
        return localPort;
    }

    @Override
    public boolean reuseAddress() {
        return reuseAddress;
    }

    @Override
    public void release() {
        if (!released) {
            released = true;
            stack.release(this);
        }
    }

    @Override
    public String toString() {
        return "PortReservation[" + dev.netstack.ip.wire.Ipv4Address.format(localAddress) + ":" + localPort
                + (reuseAddress ? " reuse" : "") + (released ? " released" : "") + "]";
    }
}
