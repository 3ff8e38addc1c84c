/**
 * java.nio on the stack: {@link dev.netstack.nio.NetstackSelectorProvider} opens
 * {@code SocketChannel}, {@code ServerSocketChannel}, {@code DatagramChannel} and {@code Selector}
 * objects served by the stack's {@link dev.netstack.socket.Sockets}, so plain NIO code and Netty's
 * NIO transport run on the stack unchanged.
 *
 * <h2>Finding the stack</h2>
 * {@link dev.netstack.nio.NetstackSelectorProvider#install(dev.netstack.socket.Sockets)} names the
 * stack for every provider instance of the JVM. When none was installed and the JVM was started
 * with {@code -Djava.nio.channels.spi.SelectorProvider=dev.netstack.nio.NetstackSelectorProvider},
 * the first channel starts an embedded stack over a TAP from the {@code netstack.*} system
 * properties (see {@link dev.netstack.nio.NetstackSelectorProvider}).
 *
 * <h2>Addresses the stack does not own</h2>
 * Only addresses the stack routes are served: a connect to a destination without a route in the
 * stack fails with {@code NoRouteToHostException}. There is no fallback to the kernel's provider;
 * an application that needs both opens kernel channels with
 * {@code sun.nio.ch.DefaultSelectorProvider.get()} itself.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package dev.netstack.nio;
