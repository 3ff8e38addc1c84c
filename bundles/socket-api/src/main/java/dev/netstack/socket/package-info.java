/**
 * Sockets for applications: POSIX-like TCP stream and UDP datagram sockets usable from any thread
 * (platform or virtual), a readiness {@link dev.netstack.socket.SocketSelector}, zero-copy buffers,
 * and the shard-thread callback path.
 *
 * <h2>How a call reaches the stack</h2>
 * <pre>
 *   application thread(s)                         shard thread (owns tcp/udp state)
 *   ─────────────────────                         ─────────────────────────────────
 *   send(bytes) ──copy──► [tx ring, SPSC] ─────── pump: ring ──► TcpConnection.send
 *        │  schedule pump once (flag) ─► Shard.execute (JCTools MPSC)
 *   receive() ◄──copy──── [rx ring, SPSC] ◄────── pump: TcpConnection.receive ──► ring
 *        ▲  LockSupport.unpark(waiter), SocketSelector.signal
 *        └───────────────────────────────────────────────┘
 * </pre>
 * Each socket owns two single-producer single-consumer byte rings (app→shard for sends,
 * shard→app for receives) whose positions are published with volatile writes. A send copies into
 * the tx ring and, if no pump is pending yet, queues the socket's one preallocated pump command;
 * the shard drains the ring into the connection in its turn. So steady-state send and receive do not
 * allocate. Control calls (bind, listen, connect, options, close) are commands too; they may
 * allocate.
 *
 * <h2>Blocking and non-blocking</h2>
 * Every socket starts blocking. A blocking call parks its thread ({@code LockSupport.park}: a
 * virtual thread unmounts, so a thread per connection scales to thousands) until the shard wakes
 * it. In non-blocking mode calls return at once: {@code 0} bytes, or {@code null}, meaning "would
 * block" (as NIO does), and {@link dev.netstack.socket.StreamSocket#finishConnect()} completes an
 * active open.
 *
 * <h2>Errors</h2>
 * Failures throw the unchecked {@link dev.netstack.socket.SocketException}, carrying a
 * {@link dev.netstack.socket.SocketError} modelled on errno. Errors a peer causes after a call
 * returned (reset, timeout, ICMP) are kept as the socket's pending error and thrown by its next
 * call.
 *
 * <h2>For a java.nio SelectorProvider</h2>
 * The API carries NIO's model: {@code SocketChannel.connect} in non-blocking mode is
 * {@link dev.netstack.socket.StreamSocket#connect} + {@code finishConnect}; the interest and ready
 * sets are the {@link dev.netstack.socket.SocketSelector} bits {@code OP_ACCEPT}, {@code OP_CONNECT},
 * {@code OP_READ}, {@code OP_WRITE} (same values as {@code java.nio.channels.SelectionKey}); keys
 * are level-triggered as in NIO; {@code Selector.wakeup} is {@link dev.netstack.socket.SocketSelector#wakeup()};
 * {@code ByteBuffer} reads and writes exist on both socket kinds.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.2.0")
package dev.netstack.socket;
