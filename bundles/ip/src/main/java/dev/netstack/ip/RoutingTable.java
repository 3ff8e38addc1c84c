package dev.netstack.ip;

import java.util.List;

/**
 * The IPv4 routing table. Changes (control path, any thread) publish a new immutable snapshot;
 * lookups on the data path read the current snapshot without locks or allocation.
 */
public interface RoutingTable {

    /** Adds a route, replacing one with the same destination and prefix length. */
    void add(Route route);

    /** Removes the route with this destination and prefix length; true if there was one. */
    boolean remove(int destination, int prefixLength);

    /** The route for {@code destination} by longest-prefix match, or null. */
    Route lookup(int destination);

    /** All routes, longest prefix first. */
    List<Route> routes();
}
