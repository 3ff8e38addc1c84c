package dev.netstack.nic.ixgbe;

/**
 * The 32-bit memory-mapped registers of a device (BAR0 of the 82599), addressed by byte offset as
 * in the datasheet's register summary (82599 datasheet §8.1.3).
 *
 * <p>Implementations over real hardware must make each call one uncached 32-bit access, in program
 * order with the calls before and after it (a volatile access to the mapped BAR). The driver puts
 * a release fence between its descriptor writes and the tail register write that publishes them.
 */
public interface Registers {

    /** Reads the register at byte offset {@code offset}. */
    int get32(int offset);

    /** Writes the register at byte offset {@code offset}. */
    void set32(int offset, int value);

    /** Sets the bits of {@code mask} (read, or, write). */
    default void setFlags32(int offset, int mask) {
        set32(offset, get32(offset) | mask);
    }

    /** Clears the bits of {@code mask} (read, and-not, write). */
    default void clearFlags32(int offset, int mask) {
        set32(offset, get32(offset) & ~mask);
    }
}
