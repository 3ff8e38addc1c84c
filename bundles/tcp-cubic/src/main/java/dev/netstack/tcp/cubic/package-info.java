/**
 * CUBIC congestion control (RFC 9438) for the TCP core's {@link dev.netstack.tcp.CongestionControl}
 * SPI. {@link dev.netstack.tcp.cubic.CubicFactory} is the service ({@code tcp.cc=cubic});
 * {@link dev.netstack.tcp.cubic.Cubic} is the per-connection state, public for embedded users and
 * for tests that drive it directly.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package dev.netstack.tcp.cubic;
