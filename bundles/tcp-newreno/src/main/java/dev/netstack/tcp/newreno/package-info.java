/**
 * NewReno congestion control (RFC 5681, RFC 3465, RFC 6582, RFC 6928) for the TCP core's
 * {@link dev.netstack.tcp.CongestionControl} SPI. {@link dev.netstack.tcp.newreno.NewRenoFactory}
 * is the service ({@code tcp.cc=newreno}); {@link dev.netstack.tcp.newreno.NewReno} is the
 * per-connection state, public for embedded users and for tests that drive it directly.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package dev.netstack.tcp.newreno;
