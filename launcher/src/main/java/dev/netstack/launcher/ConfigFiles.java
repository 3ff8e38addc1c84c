package dev.netstack.launcher;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Prepares the configuration directory FileInstall watches ({@code RUN/etc}): the {@code .cfg}
 * files of the source directory, then the command-line options written over them. File names
 * follow FileInstall: {@code PID.cfg} for singletons, {@code FACTORYPID-NAME.cfg} for factory
 * configurations.
 */
final class ConfigFiles {

    /** The stack interface the command-line options configure. */
    static final String INTERFACE = "eth0";

    static final String NIC_TAP = "nic.tap-" + INTERFACE + ".cfg";
    static final String NIC_VIRTIO = "nic.virtio-" + INTERFACE + ".cfg";
    static final String NIC_IXGBE = "nic.ixgbe-" + INTERFACE + ".cfg";
    static final String IP_INTERFACE = "netstack.ip.interface-" + INTERFACE + ".cfg";
    static final String DEFAULT_ROUTE = "netstack.ip.route-default.cfg";
    static final String RUNTIME = "netstack.runtime.cfg";
    static final String DEMO = "netstack.demo.cfg";

    private ConfigFiles() {
    }

    /**
     * Fills {@code etcDir} from {@code sourceDir} (which may be null) and {@code options}. Removes
     * the {@code .cfg} files a previous run left in {@code etcDir} first, unless both are the same
     * directory, in which case the options are written into it.
     */
    static void prepare(Path sourceDir, Path etcDir, CommandLine.RunOptions options) throws IOException {
        Files.createDirectories(etcDir);
        boolean same = sourceDir != null && Files.isSameFile(sourceDir, etcDir);
        if (!same) {
            try (DirectoryStream<Path> old = Files.newDirectoryStream(etcDir, "*.{cfg,config}")) {
                for (Path file : old) {
                    Files.delete(file);
                }
            }
            if (sourceDir != null) {
                try (DirectoryStream<Path> files = Files.newDirectoryStream(sourceDir, "*.{cfg,config}")) {
                    for (Path file : files) {
                        Files.copy(file, etcDir.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }
        if (options.configuresNic()) {
            // One NIC serves eth0: the backend chosen on the command line replaces the others' files.
            String chosen = nicFile(options);
            for (String file : new String[] {NIC_TAP, NIC_VIRTIO, NIC_IXGBE}) {
                if (!file.equals(chosen)) {
                    Files.deleteIfExists(etcDir.resolve(file));
                }
            }
        }
        for (Map.Entry<String, Map<String, String>> file : overrides(options).entrySet()) {
            merge(etcDir.resolve(file.getKey()), file.getValue());
        }
        if (options.shards() != null && !options.configuresNic()) {
            // The NIC configured before gets one queue per shard too.
            for (String file : new String[] {NIC_TAP, NIC_VIRTIO, NIC_IXGBE}) {
                if (Files.exists(etcDir.resolve(file))) {
                    merge(etcDir.resolve(file), Map.of("queues", options.shards().toString()));
                }
            }
        }
    }

    /** The properties each option sets, by file name. Pure, for tests. */
    static Map<String, Map<String, String>> overrides(CommandLine.RunOptions options) {
        Map<String, Map<String, String>> files = new TreeMap<>();
        if (options.configuresNic() && options.virtio()) {
            Map<String, String> nic = files.computeIfAbsent(NIC_VIRTIO, k -> new LinkedHashMap<>());
            nic.put("name", INTERFACE);
            putIfGiven(nic, "pci", options.pci());
            putIfGiven(nic, "mac", options.mac());
            putIfGiven(nic, "hugepages", options.hugepages());
        } else if (options.configuresNic() && options.ixgbe()) {
            Map<String, String> nic = files.computeIfAbsent(NIC_IXGBE, k -> new LinkedHashMap<>());
            nic.put("name", INTERFACE);
            putIfGiven(nic, "pci", options.pci());
            putIfGiven(nic, "hugepages", options.hugepages());
        } else if (options.configuresNic()) {
            Map<String, String> nic = files.computeIfAbsent(NIC_TAP, k -> new LinkedHashMap<>());
            nic.put("name", INTERFACE);
            putIfGiven(nic, "tap", options.tap());
            putIfGiven(nic, "host.address", options.hostAddress());
            putIfGiven(nic, "mac", options.mac());
            putIfGiven(nic, "mtu", options.mtu());
        }
        if (options.address() != null) {
            Map<String, String> ip = files.computeIfAbsent(IP_INTERFACE, k -> new LinkedHashMap<>());
            ip.put("name", INTERFACE);
            ip.put("address", options.address());
        }
        if (options.gateway() != null) {
            Map<String, String> route = files.computeIfAbsent(DEFAULT_ROUTE, k -> new LinkedHashMap<>());
            route.put("destination", "default");
            route.put("gateway", options.gateway());
            route.put("interface", INTERFACE);
        }
        if (options.shards() != null && options.configuresNic()) {
            // One lane per shard, each over its own queue of the NIC (README, Multi-core).
            files.get(nicFile(options)).put("queues", options.shards().toString());
        }
        if (options.shards() != null || options.idle() != null) {
            Map<String, String> runtime = files.computeIfAbsent(RUNTIME, k -> new LinkedHashMap<>());
            putIfGiven(runtime, "shards", options.shards());
            putIfGiven(runtime, "idle", options.idle());
        }
        if (options.demo()) {
            files.computeIfAbsent(DEMO, k -> new LinkedHashMap<>()).put("enabled", "true");
        }
        return files;
    }

    /** The file of the NIC configuration {@code options} choose. */
    static String nicFile(CommandLine.RunOptions options) {
        return options.virtio() ? NIC_VIRTIO : options.ixgbe() ? NIC_IXGBE : NIC_TAP;
    }

    private static void putIfGiven(Map<String, String> properties, String key, Object value) {
        if (value != null) {
            properties.put(key, value.toString());
        }
    }

    /** Writes {@code properties} over those already in {@code file}, keeping the others. */
    private static void merge(Path file, Map<String, String> properties) throws IOException {
        Properties merged = new Properties();
        if (Files.exists(file)) {
            try (Reader in = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
                merged.load(in);
            }
        }
        merged.putAll(properties);
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try (Writer out = Files.newBufferedWriter(temporary, StandardCharsets.ISO_8859_1)) {
            out.write("# written by ./netstack from its command line\n");
            for (String key : toStrings(merged).keySet()) {
                out.write(key + " = " + merged.getProperty(key).replace("\\", "\\\\") + "\n");
            }
        }
        // FileInstall must never see a half-written file.
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Map<String, String> toStrings(Properties properties) {
        Map<String, String> map = new TreeMap<>();
        for (String key : properties.stringPropertyNames()) {
            map.put(key, properties.getProperty(key));
        }
        return map;
    }
}
