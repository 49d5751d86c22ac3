// A target whose module throws while it loads: the executor cannot start.
throw new Error("this target fails to load on purpose");
