package dev.netstack.shell.internal;

import dev.netstack.nic.DeviceCounters;
import dev.netstack.nic.NetDevice;

/** Formatting and parsing shared by the shell commands. */
final class Text {

    private Text() {
    }

    /** {@code 198.18.0.1} from a big-endian int. */
    static String ipv4(int address) {
        return (address >>> 24) + "." + (address >>> 16 & 0xFF) + "." + (address >>> 8 & 0xFF) + "." + (address & 0xFF);
    }

    /** A big-endian int from {@code 198.18.0.1}; a one-sentence IllegalArgumentException otherwise. */
    static int parseIpv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length == 4) {
            int address = 0;
            boolean valid = true;
            for (String part : parts) {
                valid &= !part.isEmpty() && part.length() <= 3 && part.chars().allMatch(Character::isDigit);
                int octet = valid ? Integer.parseInt(part) : 256;
                valid &= octet <= 255;
                address = address << 8 | (octet & 0xFF);
            }
            if (valid) {
                return address;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not an IPv4 address such as 198.18.0.1.");
    }

    /** The counters of every queue of {@code device}, added up. */
    static DeviceCounters total(NetDevice device) {
        DeviceCounters total = new DeviceCounters();
        int queues = device.queueCount();
        for (int queue = 0; queue < queues; queue++) {
            DeviceCounters counters = device.counters(queue);
            total.rxPackets += counters.rxPackets;
            total.rxBytes += counters.rxBytes;
            total.rxDropped += counters.rxDropped;
            total.rxErrors += counters.rxErrors;
            total.txPackets += counters.txPackets;
            total.txBytes += counters.txBytes;
            total.txDropped += counters.txDropped;
            total.txErrors += counters.txErrors;
        }
        return total;
    }
}
