/**
 * UDP datagram sockets served on a shard: {@link dev.netstack.udp.UdpLayer} opens
 * {@link dev.netstack.udp.UdpSocket}s whose events arrive at a {@link dev.netstack.udp.UdpHandler}
 * on the shard thread; failures are {@link dev.netstack.udp.UdpError}s modelled on errno.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package dev.netstack.udp;
