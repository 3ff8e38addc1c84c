package dev.netstack.udp;

import dev.netstack.runtime.Shard;

/**
 * The UDP service of one shard: opens datagram sockets.
 *
 * <p><b>Threads.</b> {@link #open} and every method of the sockets it returns run on the shard
 * thread (from callbacks, or in a command given to the shard's {@code execute}); a call from
 * another thread throws {@link IllegalStateException}. A socket layer usable from any thread
 * builds on this by turning calls into shard commands.
 */
public interface UdpLayer {

    /** Largest payload of one datagram (65535 - 20 - 8). */
    int MAX_PAYLOAD = 65_507;

    /**
     * A new, unbound socket whose events go to {@code handler}.
     *
     * @throws IllegalStateException off the shard thread or when the layer has stopped
     */
    UdpSocket open(UdpHandler handler);

    /** The shard whose thread owns this layer and its sockets: run socket calls through its {@code execute}. */
    Shard shard();

    /** The first and last port of the ephemeral range (configuration {@code ephemeral.low/high}). */
    int ephemeralLow();

    int ephemeralHigh();
}
