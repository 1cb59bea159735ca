package dev.caravan.state;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the rows of concurrent callers in one transaction (group commit): a caller's row joins the rows queued while
 * another caller's transaction was committing, and the first caller to find no transaction in progress writes them
 * all and commits once. Each {@link #write} returns only after the transaction holding its row committed, and throws
 * when that transaction failed (every row of it is then rolled back), so a caller never acknowledges a row the
 * database may not have. A caller alone commits its own row on its own thread, with no hand-off.
 *
 * @param <T> a row to write
 */
final class GroupCommit<T> {

    /** A connection to the database, to close after use. */
    @FunctionalInterface
    interface Connections {
        Connection open() throws SQLException;
    }

    /** Writes rows on a connection whose transaction the caller commits or rolls back. */
    @FunctionalInterface
    interface Rows<T> {
        void write(Connection connection, List<T> rows) throws SQLException;
    }

    private final Connections connections;
    private final Rows<T> rows;
    private final Object lock = new Object();
    /** Rows waiting for the next transaction; guarded by {@link #lock}. */
    private List<Ticket<T>> queued = new ArrayList<>();
    /** Whether a caller is writing a transaction now; guarded by {@link #lock}. */
    private boolean committing;

    GroupCommit(Connections connections, Rows<T> rows) {
        this.connections = connections;
        this.rows = rows;
    }

    /** A row and, once its transaction ended, whether it committed; guarded by {@link #lock}. */
    private static final class Ticket<T> {
        final T row;
        boolean done;
        SQLException failure;

        Ticket(T row) {
            this.row = row;
        }
    }

    /** Returns once the row is committed; throws the transaction's failure when it was not. */
    void write(T row) throws SQLException {
        Ticket<T> mine = new Ticket<>(row);
        List<Ticket<T>> batch;
        boolean interrupted = false;
        synchronized (lock) {
            queued.add(mine);
            // a row in a transaction in progress must learn its outcome: wait even when interrupted
            while (committing && !mine.done) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (!mine.done) {
                // no transaction in progress and this row not written: it is still queued, and this caller commits
                committing = true;
                batch = queued;
                queued = new ArrayList<>();
            } else {
                batch = null;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (batch != null) {
            commit(batch);
        }
        if (mine.failure != null) {
            throw mine.failure;
        }
    }

    private void commit(List<Ticket<T>> batch) {
        SQLException failure = null;
        try {
            List<T> batchRows = new ArrayList<>(batch.size());
            for (Ticket<T> t : batch) {
                batchRows.add(t.row);
            }
            transaction(batchRows);
        } catch (SQLException e) {
            failure = e;
        } catch (RuntimeException | Error e) {
            failure = new SQLException(e.getMessage(), e);
        } finally {
            synchronized (lock) {
                for (Ticket<T> t : batch) {
                    t.failure = failure;
                    t.done = true;
                }
                committing = false;
                lock.notifyAll();
            }
        }
    }

    private void transaction(List<T> batchRows) throws SQLException {
        try (Connection c = connections.open()) {
            c.setAutoCommit(false);
            try {
                rows.write(c, batchRows);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException notRolledBack) {
                    e.addSuppressed(notRolledBack);
                }
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }
}
