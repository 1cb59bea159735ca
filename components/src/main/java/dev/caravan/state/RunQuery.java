package dev.caravan.state;

import java.util.List;

/**
 * Which runs to list, newest first: of a tenant (all tenants when null), of a workflow (all when null), with one of
 * the statuses (all when empty), at most {@code limit}, after the cursor of the previous page (from the start when
 * null), started in a lane (any lane or none when null).
 */
public record RunQuery(String tenant, String workflow, List<RunStatus> statuses, int limit, String after,
        String lane) {

    /** The most runs one page holds. */
    public static final int MAX_LIMIT = 1000;

    public RunQuery {
        statuses = statuses == null ? List.of() : List.copyOf(statuses);
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("A page holds 1 to " + MAX_LIMIT + " runs but " + limit
                    + " were asked for");
        }
        if (after != null) {
            RunPage.Cursor.parse(after);
        }
    }

    /** A query of runs in any lane or none. */
    public RunQuery(String tenant, String workflow, List<RunStatus> statuses, int limit, String after) {
        this(tenant, workflow, statuses, limit, after, null);
    }

    /** The first page of runs with one of the statuses, of every tenant and workflow. */
    public static RunQuery of(List<RunStatus> statuses, int limit) {
        return new RunQuery(null, null, statuses, limit, null);
    }

    /** The same query for the page after the given cursor. */
    public RunQuery after(String cursor) {
        return new RunQuery(tenant, workflow, statuses, limit, cursor, lane);
    }
}
