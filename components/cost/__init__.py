"""The cost model: what a program declares (``inventory``), AWS unit prices as dated data
(``prices``), and the monthly estimate built from both (``model``). No Pulumi import: the
``tools cost``/``tools diff`` commands feed it a mock run's registrations, and the program feeds
it the resources it declares (``stacks/costs.py``), so both compute the same figure one way.
"""
