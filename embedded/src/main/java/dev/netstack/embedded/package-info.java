/**
 * Embedded mode: the stack without OSGi. {@link dev.netstack.embedded.NetStack#builder()} assembles
 * the same component classes the Felix distribution runs (runtime, TAP or any NetDevice, Ethernet
 * and ARP, IPv4 and ICMP, the address and route configuration components) with Guice
 * ({@link dev.netstack.embedded.NetStackModule}); {@link dev.netstack.embedded.Configs} builds their
 * configuration annotations from property maps as Declarative Services would.
 *
 * <p>This is a plain jar, not a bundle: it reaches into the bundles' {@code .internal} packages,
 * which only a flat class path allows.
 */
package dev.netstack.embedded;
