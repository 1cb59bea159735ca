package dev.caravan.run;

import dev.caravan.CaravanException;

import java.util.Collection;

/** No workflow of that name is deployed. */
public class UnknownWorkflowException extends CaravanException {
    public UnknownWorkflowException(String name, Collection<String> known) {
        super("No workflow named " + name + " is deployed" + (known.isEmpty() ? "" : "; deployed: " + String.join(", ", known)));
    }

    public UnknownWorkflowException(String name, Collection<String> known, String hint) {
        super("No workflow named " + name + " is known" + (known.isEmpty() ? "" : " (known: " + String.join(", ", known) + ")")
              + ": " + hint);
    }

    @Override
    public String code() {
        return "WORKFLOW_NOT_FOUND";
    }
}
