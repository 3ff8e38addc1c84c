package dev.netstack.socket;

import dev.netstack.runtime.Shard;
import dev.netstack.tcp.TcpLayer;
import dev.netstack.udp.UdpLayer;
import java.util.List;

/**
 * The socket service: opens sockets and selectors. Under OSGi it is registered by the socket-api
 * bundle, bound to the {@link TcpLayer} and {@link UdpLayer} services; when one of them goes away
 * its sockets fail with {@link SocketError#PROTOCOL_STOPPED}, and new sockets of that kind fail
 * likewise until it is back. In embedded mode, build the implementation with its public
 * constructor ({@code dev.netstack.socket.internal.StackSockets}).
 *
 * <h2>The callback path</h2>
 * Applications that want the fastest path run on the shard thread: {@link #onShard(Runnable)}
 * runs code there, where {@link #tcp()} and {@link #udp()} may be used directly with
 * {@link dev.netstack.tcp.TcpHandler}/{@link dev.netstack.tcp.TcpListenerHandler} (accept, data
 * ready, writable, closed) and {@link dev.netstack.udp.UdpHandler}. Those callbacks must not block.
 *
 * <h2>Lanes</h2>
 * A stack of several shards runs one lane per shard, each a whole stack over one queue of the
 * device. Its sockets span them: a listening stream socket accepts on every lane, a connecting one
 * lives on one lane (see {@code dev.netstack.socket.internal.LaneSockets}), datagram sockets live
 * on lane 0. {@link #shard()}, {@link #tcp()} and {@link #udp()} are lane 0's; {@link #lanes()}
 * gives each lane's for callback code.
 */
public interface Sockets {

    /** A new TCP socket (SOCK_STREAM). */
    StreamSocket openStream();

    /** A new UDP socket (SOCK_DGRAM). */
    DatagramSocket openDatagram();

    /** Each lane's sockets, lane 0 first; just this for a stack of one shard. */
    default List<Sockets> lanes() {
        return List.of(this);
    }

    /** A new selector (it may hold sockets of every lane). */
    SocketSelector openSelector();

    /** The shard the sockets are served on. */
    Shard shard();

    /** Runs {@code task} on the shard thread (callback path); false if the shard's queue is full. */
    default boolean onShard(Runnable task) {
        return shard().execute(task);
    }

    /** TCP for shard-thread code. @throws SocketException PROTOCOL_STOPPED if absent */
    TcpLayer tcp();

    /** UDP for shard-thread code. @throws SocketException PROTOCOL_STOPPED if absent */
    UdpLayer udp();
}
