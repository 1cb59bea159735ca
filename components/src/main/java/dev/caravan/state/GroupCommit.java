package dev.caravan.state;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the rows of concurrent callers in one transaction (group commit): a caller's row joins the rows queued while
 * another caller's transaction was committing, and the first caller to find no transaction in progress writes them
 * all and commits once. Each {@link #write} returns only after the transaction holding its row committed, and throws
 * when its row was not committed, so a caller never acknowledges a row the database may not have. When a transaction
 * of several rows fails (every row of it rolled back), each row is written again alone: a row the database refuses
 * fails its own caller only. A caller alone commits its own row on its own thread, with no hand-off.
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
        try {
            SQLException failure = transaction(batch);
            for (Ticket<T> t : batch) {
                t.failure = failure == null || batch.size() == 1 ? failure : transaction(List.of(t));
            }
        } finally {
            // the failures above happen before a waiter sees its row done
            synchronized (lock) {
                for (Ticket<T> t : batch) {
                    t.done = true;
                }
                committing = false;
                lock.notifyAll();
            }
        }
    }

    /** Writes the rows in one transaction; its failure, or null once it committed. */
    private SQLException transaction(List<Ticket<T>> tickets) {
        List<T> batchRows = new ArrayList<>(tickets.size());
        for (Ticket<T> t : tickets) {
            batchRows.add(t.row);
        }
        try {
            transactionOf(batchRows);
            return null;
        } catch (SQLException e) {
            return e;
        } catch (RuntimeException | Error e) {
            // whatever stopped the transaction, its rows are not acknowledged
            return new SQLException(e.getMessage(), e);
        }
    }

    private void transactionOf(List<T> batchRows) throws SQLException {
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
