package dev.netstack.nic;

/**
 * MAC addresses as 48 bits in the low end of a {@code long}: compared with {@code ==}, stored
 * without allocation. The first octet on the wire is bits 47..40.
 */
public final class MacAddress {

    public static final long BROADCAST = 0xFFFF_FFFF_FFFFL;
    public static final long ZERO = 0L;

    private MacAddress() {
    }

    /** Parses {@code 02:00:00:00:00:01} (also with '-'); throws IllegalArgumentException with a clear message. */
    public static long parse(String text) {
        String[] parts = text.trim().split("[:-]");
        if (parts.length != 6) {
            throw new IllegalArgumentException("not a MAC address (six hex octets like 02:00:00:00:00:01): " + text);
        }
        long value = 0;
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 2) {
                throw new IllegalArgumentException("not a MAC address (six hex octets like 02:00:00:00:00:01): " + text);
            }
            int octet = 0;
            for (int i = 0; i < part.length(); i++) {
                // Character.digit, not Integer.parseInt: parseInt would accept a sign ("+1").
                int digit = Character.digit(part.charAt(i), 16);
                if (digit < 0) {
                    throw new IllegalArgumentException("not a MAC address (six hex octets like 02:00:00:00:00:01): " + text);
                }
                octet = octet << 4 | digit;
            }
            value = (value << 8) | octet;
        }
        return value;
    }

    public static String format(long mac) {
        StringBuilder text = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8) {
            int octet = (int) (mac >>> shift) & 0xFF;
            text.append(Character.forDigit(octet >>> 4, 16)).append(Character.forDigit(octet & 0xF, 16));
            if (shift > 0) {
                text.append(':');
            }
        }
        return text.toString();
    }

    /** Group bit: the least significant bit of the first octet. */
    public static boolean isMulticast(long mac) {
        return ((mac >>> 40) & 1) != 0;
    }

    public static boolean isBroadcast(long mac) {
        return mac == BROADCAST;
    }

    /** A locally administered unicast address derived from {@code seed}, for defaults. */
    public static long locallyAdministered(long seed) {
        long mac = seed & 0xFFFF_FFFF_FFFFL;
        mac &= ~(1L << 40);     // unicast
        mac |= 1L << 41;        // locally administered
        return mac;
    }
}
