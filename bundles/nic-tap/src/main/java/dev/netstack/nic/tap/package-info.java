/**
 * The Linux TAP backend: {@link dev.netstack.nic.tap.TapDevice} is a
 * {@link dev.netstack.nic.NetDevice} over {@code /dev/net/tun}, opened from
 * {@link dev.netstack.nic.tap.TapSettings}; user-facing failures are
 * {@link dev.netstack.nic.tap.TapException}s whose message is one sentence saying what to do.
 *
 * <p>In OSGi the DS factory component for configuration PID {@code nic.tap} opens one device per
 * configuration; embedded applications call {@link dev.netstack.nic.tap.TapDevice#open} themselves.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package dev.netstack.nic.tap;
