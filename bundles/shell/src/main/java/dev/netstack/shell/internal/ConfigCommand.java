package dev.netstack.shell.internal;

import java.io.IOException;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.List;
import java.util.Set;
import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code netstack:cfg [PID]}: the configurations ConfigAdmin holds (from the {@code .cfg}
 * files FileInstall watches), so one can see what the running stack was given. Not named
 * {@code config}: Felix SCR's shell commands already have {@code scr:config}.
 */
@Component(service = ConfigCommand.class, property = {"osgi.command.scope=netstack", "osgi.command.function=cfg"})
public final class ConfigCommand {

    /** Properties ConfigAdmin and FileInstall add, not set by the user. */
    private static final Set<String> BOOKKEEPING = Set.of(Constants.SERVICE_PID, ConfigurationAdmin.SERVICE_FACTORYPID,
            "felix.fileinstall.filename", ConfigurationAdmin.SERVICE_BUNDLELOCATION);

    @Reference
    ConfigurationAdmin configurationAdmin;

    @Descriptor("show every configuration")
    public String cfg() throws IOException, InvalidSyntaxException {
        return format(configurationAdmin.listConfigurations(null), null);
    }

    @Descriptor("show the configurations of one PID or factory PID")
    public String cfg(@Descriptor("PID, e.g. nic.tap or netstack.ip") String pid) throws IOException, InvalidSyntaxException {
        return format(configurationAdmin.listConfigurations(null), pid);
    }

    static String format(Configuration[] configurations, String only) {
        List<Configuration> sorted = new ArrayList<>(configurations == null ? List.of() : Arrays.asList(configurations));
        sorted.removeIf(c -> only != null && !only.equals(c.getPid()) && !only.equals(c.getFactoryPid()));
        sorted.sort(Comparator.comparing(Configuration::getPid));
        StringBuilder out = new StringBuilder();
        for (Configuration configuration : sorted) {
            out.append(configuration.getPid());
            if (configuration.getFactoryPid() != null) {
                out.append(" (factory ").append(configuration.getFactoryPid()).append(')');
            }
            out.append('\n');
            Dictionary<String, Object> properties = configuration.getProperties();
            if (properties == null) {
                continue;
            }
            List<String> keys = Collections.list(properties.keys());
            keys.sort(null);
            for (String key : keys) {
                if (!BOOKKEEPING.contains(key)) {
                    out.append("  ").append(key).append(" = ").append(text(properties.get(key))).append('\n');
                }
            }
        }
        if (out.isEmpty()) {
            return only == null ? "no configurations\n" : "no configuration for '" + only + "'\n";
        }
        return out.toString();
    }

    private static String text(Object value) {
        if (value != null && value.getClass().isArray()) {
            List<String> items = new ArrayList<>();
            for (int i = 0; i < Array.getLength(value); i++) {
                items.add(String.valueOf(Array.get(value, i)));
            }
            return items.toString();
        }
        return String.valueOf(value);
    }
}
