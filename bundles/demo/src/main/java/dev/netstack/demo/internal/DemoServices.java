package dev.netstack.demo.internal;

import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.runtime.Counters;
import dev.netstack.runtime.Lane;
import dev.netstack.runtime.Shard;
import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpException;
import dev.netstack.tcp.TcpHandler;
import dev.netstack.tcp.TcpLayer;
import dev.netstack.tcp.TcpListener;
import dev.netstack.tcp.TcpListenerHandler;
import dev.netstack.tcp.TcpOptions;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The demo services on TCP (PID {@code netstack.demo}): echo (RFC 862) on 7, discard (RFC 863) on
 * 9, HTTP/1.1 on 80 ({@link HttpConnection}). Nothing listens unless {@code enabled = true}
 * ({@code ./netstack demo} writes it). Connections are served by callbacks on shard 0; a handler is
 * allocated per connection, nothing per segment.
 *
 * <p>With several shards, DS makes one instance per lane ({@link Lane}): each listens on its own
 * lane's TCP layer, from that lane's shard, so every flow finds its service whichever lane the
 * device steers it to.
 *
 * <p>The component needs the TCP layer: stopping the tcp bundle deactivates it (its connections are
 * reset by TCP), starting tcp again activates it and it listens again.
 */
@Component(configurationPid = {"netstack.demo", Lane.PID}, immediate = true, service = {})
public final class DemoServices {

    private static final System.Logger LOG = System.getLogger(DemoServices.class.getName());
    private static final long CONTROL_TIMEOUT_MS = 5_000;

    private final TcpLayer tcp;
    private final Shard shard;
    private final List<Counters> counters = new CopyOnWriteArrayList<>();
    private final List<TcpListener> listeners = new ArrayList<>();
    private final StatusPage statusPage;
    private final DiscardHandler discard = new DiscardHandler();

    @Activate
    @jakarta.inject.Inject
    public DemoServices(DemoConfig config, @Reference TcpLayer tcp, @Reference(target = "(shard.id=0)") Shard shard) {
        this.tcp = tcp;
        this.shard = shard;
        this.statusPage = new StatusPage(tcp, () -> counters);
        if (!config.enabled()) {
            LOG.log(Level.INFO, "demo services are off (netstack.demo enabled = false)");
            return;
        }
        int address = config.address() == null || config.address().isBlank() ? 0 : Ipv4Address.parse(config.address().trim());
        onShard(() -> {
            listen(address, config.echo_port(), "echo", c -> new EchoHandler());
            listen(address, config.discard_port(), "discard", c -> discard);
            listen(address, config.http_port(), "http", c -> new HttpConnection(statusPage));
        });
    }

    /** OSGi: names the lane in the status page of a stack with several lanes. */
    @Activate
    void activate(Map<String, Object> properties) {
        if (Lane.isLane(properties)) {
            statusPage.setLane(Lane.of(properties), Lane.countOf(properties));
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, unbind = "removeCounters")
    public void addCounters(Counters c) {
        counters.add(c);
    }

    public void removeCounters(Counters c) {
        counters.remove(c);
    }

    /** Bytes the discard service has swallowed. */
    public long discardedBytes() {
        return discard.discardedBytes;
    }

    /** Ports listened on now (shard thread or after activation). */
    public List<Integer> ports() {
        List<Integer> ports = new ArrayList<>();
        onShard(() -> listeners.forEach(l -> ports.add(l.localPort())));
        return ports;
    }

    private void listen(int address, int port, String name, TcpListenerHandler handler) {
        if (port <= 0) {
            return;
        }
        if (port > 65_535) {
            LOG.log(Level.ERROR, "netstack.demo " + name + ".port = " + port + " is not a port: set 0 to 65535");
            return;
        }
        try {
            listeners.add(tcp.listen(address, port, TcpOptions.defaults().withBacklog(1024), new Acceptor(handler)));
            LOG.log(Level.INFO, "demo " + name + " listens on port " + port);
        } catch (TcpException e) {
            LOG.log(Level.ERROR, "demo " + name + " cannot listen on port " + port + ": " + e.getMessage());
        }
    }

    @Deactivate
    public void close() {
        onShard(() -> {
            for (TcpListener l : listeners) {
                if (l.isOpen()) {
                    l.close();
                }
            }
            listeners.clear();
        });
    }

    private void onShard(Runnable action) {
        if (shard.inShard()) {
            action.run();
            return;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (!shard.execute(() -> {
            try {
                action.run();
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        })) {
            action.run(); // the shard is not running (stopping): nothing races with us
            return;
        }
        try {
            done.get(CONTROL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.log(Level.WARNING, "demo services: shard " + shard.id() + " did not answer: " + e);
        }
    }

    /** Gives each accepted connection the service's handler. */
    private static final class Acceptor implements TcpListenerHandler {
        private final TcpListenerHandler factory;

        Acceptor(TcpListenerHandler factory) {
            this.factory = factory;
        }

        @Override
        public TcpHandler onAccept(TcpConnection connection) {
            // Data or FIN that came with the handshake is delivered once the handler is set (TcpListener.accept).
            return factory.onAccept(connection);
        }

        @Override
        public void onListenerClosed(TcpListener listener, TcpError reason) {
            LOG.log(Level.DEBUG, "demo listener on port " + listener.localPort() + " closed: " + reason.message());
        }
    }
}
