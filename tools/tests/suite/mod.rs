mod sink;
