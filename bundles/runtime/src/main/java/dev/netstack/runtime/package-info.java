/**
 * The run-to-completion machinery every protocol bundle uses, knowing no protocol: the
 * {@link dev.netstack.runtime.Shard} event loop, the injected {@link dev.netstack.runtime.NanoClock},
 * the {@link dev.netstack.runtime.TimerWheel}, idle strategies and {@link dev.netstack.runtime.Counters}.
 *
 * <p>Read {@link dev.netstack.runtime.Shard} first: one turn of its loop is the whole data path.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.2.0")
package dev.netstack.runtime;
