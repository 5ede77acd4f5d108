/* A shared object that is not a weir plugin: it has no descriptor. */
int no_descriptor_function(int x);
int no_descriptor_function(int x) { return x + 1; }
